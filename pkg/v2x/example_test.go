package v2x_test

import (
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func ExampleNewDENM() {
	at := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)
	d := v2x.NewDENM(v2x.DENMSpec{
		SourceUUID:  "com_edge_9",
		StationID:   9,
		StationType: v2x.StationRoadSideUnit,
		ActionID:    v2x.ActionID{OriginatingStationID: 9, SequenceNumber: 1},
		Cause:       v2x.CauseStationaryVehicle,
		SubCause:    2, // vehicleBreakdown
		Pos:         geo.Point{Lat: 48.8566, Lon: 2.3522},
		Detection:   at.Add(-10 * time.Second),
		Validity:    5 * time.Minute,
		At:          at,
	})
	if err := d.Validate(); err != nil {
		panic(err)
	}
	c, s := d.Cause()
	fmt.Println(d.ActionID(), v2x.CauseName(c), v2x.SubCauseName(c, s))
	fmt.Println("expires", d.Expiry().Format(time.RFC3339))
	fmt.Println(string(d.AppendJSON(nil)))
	// Output:
	// 9/1 stationaryVehicle vehicleBreakdown
	// expires 2026-11-25T14:34:50Z
	// {"message_type":"denm","source_uuid":"com_edge_9","timestamp":1795617000000,"version":"2.3.0","message":{"protocol_version":2,"station_id":9,"management":{"action_id":{"originating_station_id":9,"sequence_number":1},"detection_time":722701790000,"reference_time":722701800000,"event_position":{"latitude":488566000,"longitude":23522000,"position_confidence_ellipse":{"semi_major":4095,"semi_minor":4095,"semi_major_orientation":3601},"altitude":{"value":800001,"confidence":15}},"traffic_direction":0,"validity_duration":300,"station_type":15},"situation":{"information_quality":0,"event_type":{"cause":94,"subcause":2}}}}
}

func ExampleParseTopic() {
	t, err := v2x.ParseTopic("5GCroCo/inQueue/v2x/cam/com_car_42/1/2/0/2/1/3")
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Root, t.Queue, t.Type, t.SourceID, t.Quadkey)
	// What a vehicle there subscribes to for hazards, at zoom 4:
	fmt.Println(v2x.SubscriptionFilter(t.Root, v2x.OutQueue, v2x.TypeDENM, t.Quadkey[:4]))
	_, err = v2x.ParseTopic("5GCroCo/inQueue/v2x/cam/com_car_42/1/2/7")
	fmt.Println(err)
	// Output:
	// 5GCroCo inQueue cam com_car_42 120213
	// 5GCroCo/outQueue/v2x/denm/+/1/2/0/2/#
	// v2x: bad topic "5GCroCo/inQueue/v2x/cam/com_car_42/1/2/7": quadkey level "7" is not one digit 0..3
}

func ExampleDecode() {
	m, err := v2x.Decode([]byte(`{"message_type":"cam","source_uuid":"com_car_1","timestamp":1795617000000,"version":"2.4.0",
		"message":{"protocol_version":2,"station_id":1,"generation_delta_time":40000,
		"basic_container":{"station_type":5,"reference_position":{"latitude":488566000,"longitude":23522000,
		"position_confidence_ellipse":{"semi_major":4095,"semi_minor":4095,"semi_major_orientation":3601},
		"altitude":{"value":800001,"confidence":15}}},
		"high_frequency_container":{"basic_vehicle_container_high_frequency":{"heading":{"value":900,"confidence":10},
		"speed":{"value":1389,"confidence":5},"drive_direction":0,"vehicle_length":{"value":46,"confidence":0},
		"vehicle_width":18,"longitudinal_acceleration":{"value":0,"confidence":102},"curvature":{"value":0,"confidence":7},
		"curvature_calculation_mode":2,"yaw_rate":{"value":0,"confidence":8}}}}}`))
	if err != nil {
		panic(err)
	}
	if err := m.Validate(); err != nil {
		panic(err)
	}
	cam := m.(*v2x.CAM)
	v, _ := cam.Speed()
	h, _ := cam.Heading()
	fmt.Printf("%s station %d (%s) at %.4f,%.4f: %.2f m/s heading %.0f°\n",
		m.Type(), cam.StationID(), cam.StationType(), cam.Position().Lat, cam.Position().Lon, v, h)
	// Output:
	// cam station 1 (passengerCar) at 48.8566,2.3522: 13.89 m/s heading 90°
}
